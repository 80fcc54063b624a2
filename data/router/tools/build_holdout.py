import json, sys, os
sys.path.insert(0, os.path.dirname(__file__))
import holdout_a, holdout_b
from collections import Counter
items = holdout_a.ITEMS + holdout_b.ITEMS
with open(sys.argv[1], "w") as f:
    for n, it in enumerate(items):
        msgs = []
        if it["sys"]: msgs.append({"role": "system", "content": it["sys"]})
        if it["hist"]: msgs.extend(it["hist"])
        msgs.append({"role": "user", "content": it["text"]})
        req = {"model": "auto", "messages": msgs}
        if it["tools"]: req["tools"] = it["tools"]
        if it["rf"]: req["response_format"] = it["rf"]
        if it["effort"]: req["reasoning_effort"] = it["effort"]
        f.write(json.dumps({"id": f"holdout-{it['lang']}-{n:03d}", "label": it["label"], "lang": it["lang"], "request": req}, ensure_ascii=False) + "\n")
print(len(items), Counter((i["lang"], i["label"]) for i in items))
