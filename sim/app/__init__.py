"""The command-line applications around the model: checks made before any folder exists,
output folders that are guarded and locked, job manifests that are verified before results
are combined, and resource estimates. Nothing here changes what the model computes."""
