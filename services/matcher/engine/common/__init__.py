"""Integer helpers every stage of the engine shares: fair splits that add up exactly
(``fair``) and the small arithmetic of whole packs and whole öre (``integers``)."""
