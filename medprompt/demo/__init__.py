"""The synthetic-world demo (demo.py): its runs (plan), the progress lines read from their logs (progress)
and its tables (report). Nothing here imports Dassl; the runs are train.py processes."""
