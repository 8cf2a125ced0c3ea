-- 0010: a whole-row insert is no longer kept as a head in field_head (db/writes.py finds a row's insert by
-- its op; sync.compact folds inserts every machine holds into their rows). Every row had one such head:
-- at full scale 780k rows (0.16 GB of the file) that said nothing the op log did not.
DELETE FROM field_head WHERE field = '*';
