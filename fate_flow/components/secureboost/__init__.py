"""HeteroSecureBoost (FATE 1.6): gradient boosted decision trees over features split between a guest (features and
labels) and hosts (features only), with the hosts' statistics computed on Paillier-encrypted gradients.

params       FATE 1.6's HeteroSecureBoostParam / DecisionTreeParam, with what is not supported refused by name
objectives   losses: binary and softmax cross entropy, least squared error
binning      each party's features as quantile bins
packing      gradient, hessian (per class) and a row count packed into one Paillier plaintext per row
histogram    the host's encrypted per-bin sums and their cumulative, shuffled split candidates; the guest's own
splitting    gains and the best split of each node over every party's candidates
guest, host  the two sides of tree building
predict      trees applied to rows, each party resolving its own split nodes
model        the protobuf buffers
component    the Component: train and predict mode, outputs
"""
