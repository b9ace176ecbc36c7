-- Pushes and reviews can arrive before the pull request they belong to (GitHub does not
-- order deliveries, and a branch is pushed before its pull request is opened). They are kept
-- here and folded into the pull request whenever it or they change.

CREATE TABLE branch_pushes (
  org_id          TEXT NOT NULL,
  repo            TEXT NOT NULL,
  branch          TEXT NOT NULL,
  first_commit_at TEXT NOT NULL,
  PRIMARY KEY (org_id, repo, branch)
) WITHOUT ROWID;

CREATE TABLE pr_reviews (
  org_id       TEXT NOT NULL,
  delivery_id  TEXT NOT NULL,
  repo         TEXT NOT NULL,
  number       INTEGER NOT NULL,
  reviewer     TEXT NOT NULL,
  state        TEXT NOT NULL,
  submitted_at TEXT NOT NULL,
  PRIMARY KEY (org_id, delivery_id)
) WITHOUT ROWID;
CREATE INDEX pr_reviews_pr ON pr_reviews(org_id, repo, number);
