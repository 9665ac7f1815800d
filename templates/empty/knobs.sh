# The knobs the proposer may turn (the built-in search proposer finds numeric assignments such as these).
X=1.0
Y=0.8
