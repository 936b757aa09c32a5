"""Where a model and its input come from: the file reader and its size checks, state_dict to module,
checkpoints as people save them, vocabularies and features, tokenizing, tasks and training, and the one Model
type they all give."""
