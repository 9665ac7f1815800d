# The knobs the proposer may turn.
X=0.0
Y=0.0
