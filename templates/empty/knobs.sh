# The knobs the proposer may turn (the built-in search proposer finds UPPER_CASE assignments).
X=1.0
Y=0.8
