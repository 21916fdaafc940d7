print("bourse-worker: not implemented yet")
