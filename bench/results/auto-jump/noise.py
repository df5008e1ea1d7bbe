# CPU noise: bursts of one busy core (50-400 ms) separated by idle gaps (100-600 ms), seeded.
import random, time, sys
rng = random.Random(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
end = time.monotonic() + float(sys.argv[2] if len(sys.argv) > 2 else 3600)
while time.monotonic() < end:
    busy = rng.uniform(0.05, 0.4); t = time.monotonic()
    while time.monotonic() - t < busy: pass
    time.sleep(rng.uniform(0.1, 0.6))
