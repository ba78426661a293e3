"""SME review: stratified samples, each reviewer's blind queue, and the labels they write."""
