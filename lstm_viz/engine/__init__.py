"""Maths on one sequence: cells, the run and its trace, gradients through time and their Jacobian products,
the oneDNN workspace reader, the textbook LSTM, the knobs, and the work counts. Imports nothing above it."""
