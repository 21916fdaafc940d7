print("bourse-sandbox-probe: not implemented yet")
