# Per auto run: the share of limit/RTT its windows at the final limit reached (saturated windows
# after the last change of the limit, the first one after it left out).
import re,glob,sys,statistics as st,collections
root=sys.argv[1]
rtt={'wan20':0.02,'wan80':0.08}
rx=re.compile(r"concurrency: ([\d.]+) s, .*?, (\d+) req/s, p50 ([\d.]+) ms, \d+ slowdowns, (saturated|not saturated), .*?-> (\w+)(?: (\d+))?")
out=collections.defaultdict(list)
for f in glob.glob(root+"/*-[0-9]/runs/wan*cauto/rep*.log"):
    v=f.split('/')[-4].split('-')[0]
    m=re.search(r"runs/(wan\d+)-small-nginx-https-s3up-(\w+)-tdef",f); net,eng=m.groups()
    ws=[]; limit=None
    for line in open(f):
        m=rx.search(line)
        if not m: continue
        secs,rps,p50,sat,dec,lim=m.groups()
        ws.append((float(secs),int(rps),sat=="saturated",dec,int(lim) if lim else limit))
        if lim: limit=int(lim)
    # windows after the last change
    last=max(i for i,w in enumerate(ws) if w[3]!="hold") if any(w[3]!="hold" for w in ws) else 0
    tail=[w for w in ws[last+2:] if w[2]]
    if not tail: continue
    req=sum(w[1]*w[0] for w in tail); sec=sum(w[0] for w in tail)
    out[(v,net,eng)].append((req/sec)*rtt[net]/limit)
for k in sorted(out):
    xs=out[k]; print(k, f"n={len(xs)} steady share median {st.median(xs)*100:.0f}% [{min(xs)*100:.0f}-{max(xs)*100:.0f}%]")
