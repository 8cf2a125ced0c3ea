-- 0012: the case list's first rows in two more orders come from an index, so they cost what the first page by
-- date does at any size (issue 13 point 4). Sorted by the person's surname, the list read and sorted every case
-- with its person (183 ms for 100k cases); it now walks people in surname order and stops at a page (0.3 ms).
CREATE INDEX IF NOT EXISTS ix_constituents_surname_nocase ON constituents (surname COLLATE NOCASE);
-- Open cases of a category by review date (a caseworker's usual view) read every case (126 ms at 100k); the
-- open ones of each category are few and kept here in review order.
CREATE INDEX IF NOT EXISTS ix_cases_open_category_review ON cases (category COLLATE NOCASE, review_date)
    WHERE deleted = 0 AND status != 'closed';
