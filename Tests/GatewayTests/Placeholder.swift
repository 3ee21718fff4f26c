// Keeps this target buildable in a clean clone until its sources land; delete when they do.
