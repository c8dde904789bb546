module actorlab/peers

go 1.19
