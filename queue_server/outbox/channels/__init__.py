"""Channel adapters behind one interface (`base.Channel`), built from the site config."""
