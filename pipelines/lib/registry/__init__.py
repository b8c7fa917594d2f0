"""Registry: what the promotion decision weighs, gathered from the candidate's and the champion's MLflow runs."""
