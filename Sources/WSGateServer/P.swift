import WSGateCore
