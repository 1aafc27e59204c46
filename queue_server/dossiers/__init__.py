"""Dossier look-ups behind one interface (`base.DossierLookup`), chosen in the site config
(`[dossiers] source`): the province's one-stop system over HTTP (`http.py`), or the
centre's own table filled by the counter and by CSV import (`builtin.py`,
`csv_import.py`). `standin.py` plays the province system on a real socket, with its
failure modes, for the tests and the demo."""
