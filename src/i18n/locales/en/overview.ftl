# The overview: what agencies hold, trends, and what waits for someone.
overview-title = Overview
overview-no-scores = No scorecards yet. They appear after the first nightly performance snapshot, once accounts are placed.
overview-as-of = Scorecards as of { $day }.
overview-held-accounts = Accounts each agency holds now
overview-accounts = Accounts
overview-placed-balance = Balance placed in the last 90 days
overview-balance = Balance
overview-collected-per-week = Collected per week ({ $currency })
overview-recovery-rate = Recovery rate per agency (last 90 days)
overview-open-incidents = Open { $severity } incidents
overview-expiring-papers = Papers expiring within 30 days
overview-failed-jobs = Jobs that failed
overview-statements-waiting = Statements waiting for approval
severity-critical = critical
severity-high = high
severity-medium = medium
severity-low = low
