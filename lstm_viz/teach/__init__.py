"""What a student sees, without Streamlit: settings, the models a view shows, readout and losses, exports,
explanations, the diagram's and the step player's data, figures, lessons and the handout."""
