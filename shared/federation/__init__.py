"""Federation: the Data Food Consortium (DFC) JSON-LD processing both processes may use."""
