-- Login tokens issued before this moment are refused ("log out everywhere"). NULL: every unexpired token is good.
ALTER TABLE users ADD COLUMN tokens_valid_after timestamptz;
