"""What HeteroLR and HomoLR share: FATE 1.6's logistic regression parameters, weight initialisation,
optimizers with penalties, convergence checks and the LR model buffers."""
