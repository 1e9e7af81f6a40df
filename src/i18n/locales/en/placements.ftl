# Placements and recall.
placements-title = Placements
placements-empty = No placements match. Allocation places accounts; clear the filters to see them all.
placements-choose = Choose
placements-choose-one = Choose placement { $id }
placements-due-soon = { $day } (due back soon)
placements-due-by = Due back by
placements-preview-recall = Preview a recall of the chosen placements
placements-recall-title = Recall placements
placements-choose-between = Choose between 1 and { $most } active placements to recall.
placements-will-recall = These { $count } active placements will be recalled; each agency is told at once.
placements-none-active = None of the chosen placements is active any more.
placements-reason = Why (the agencies see it)
placements-recall = Recall them
placements-recalled = { $count } placements recalled.
placements-back = ← Back to placements
placement-status = Status
placement-placed = Placed
