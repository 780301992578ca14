"""The model lifecycle: decide from the small manifest whether the published model can serve,
load it once or train and publish it atomically, swap it while pages keep serving, and retrain
in the background when the ratings have moved on."""
