"""Drives Optuna samplers for the search-vs-optuna benchmark over JSON lines on stdin/stdout.

Requests, one JSON object per line, each answered by one line:
  {"op": "new", "sampler": "tpe"|"mtpe"|"random", "seed": 1,
   "space": [{"name": "x0", "low": 0.0, "high": 1.0, "log": false, "int": false}, ...,
             {"name": "c0", "choices": ["gelu", "relu2"]}],
   "enqueue": {"x0": 0.5, ...}}                       -> {"ok": true}
  {"op": "ask"}                                      -> {"number": 0, "params": {"x0": 0.5, ...}}
  {"op": "tell", "number": 0, "value": 1.25}          -> {"ok": true}   (value null: the trial failed)
The C# side owns the objective and its noise; this side only samples. Run by /usr/bin/python3 (Optuna 3.1).
"""
import json
import sys
import warnings

import optuna

warnings.filterwarnings("ignore")
optuna.logging.set_verbosity(optuna.logging.WARNING)


def sampler(name, seed):
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if name == "mtpe":
        return optuna.samplers.TPESampler(seed=seed, multivariate=True)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    raise ValueError(f"unknown sampler {name}")


def distributions(space):
    result = {}
    for p in space:
        if "choices" in p:
            result[p["name"]] = optuna.distributions.CategoricalDistribution(p["choices"])
        elif p["int"]:
            result[p["name"]] = optuna.distributions.IntDistribution(int(p["low"]), int(p["high"]), log=p["log"])
        else:
            result[p["name"]] = optuna.distributions.FloatDistribution(p["low"], p["high"], log=p["log"])
    return result


def main():
    study = None
    space = None
    trials = {}
    out = sys.stdout
    for line in sys.stdin:
        request = json.loads(line)
        op = request["op"]
        if op == "new":
            study = optuna.create_study(direction="minimize", sampler=sampler(request["sampler"], request["seed"]))
            space = distributions(request["space"])
            trials = {}
            if request.get("enqueue"):
                study.enqueue_trial(request["enqueue"])
            answer = {"ok": True}
        elif op == "ask":
            trial = study.ask(space)
            trials[trial.number] = trial
            answer = {"number": trial.number, "params": trial.params}
        elif op == "tell":
            trial = trials.pop(request["number"])
            if request["value"] is None:
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
            else:
                study.tell(trial, request["value"])
            answer = {"ok": True}
        else:
            answer = {"error": f"unknown op {op}"}
        out.write(json.dumps(answer) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
