-- The original's four mock quality-prediction models (seed-spec §6.5), inserted once.
INSERT INTO "qualitypredictionmodel" ("name", "description") VALUES
  ('R2-D2', 'A sassy trash can on wheels who speaks only in beeps but somehow always has the last word in every argument.'),
  ('Claptrap', 'An overly enthusiastic one-wheeled model which never stops talking and considers stairs to be it''s greatest nemesis in the universe.'),
  ('WALL-E', 'A lonely garbage-compacting model which falls in love and accidentally saves humanity while pursuing it''s passion for collecting shiny objects.'),
  ('Bender', 'A beer-guzzling, cigar-smoking model which dreams of becoming a folk singer but settles for petty theft and making sarcastic comments about humans.')
ON CONFLICT ("name") DO NOTHING;
