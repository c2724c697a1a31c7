#!/bin/bash
# EMR bootstrap action (CreateCluster in statemachines/retrain.asl.yml): Node.js 22 on the primary node, for the
# TypeScript trainer step (TrainOnPrimary runs jobs/trainer's bundle there). The core nodes run Spark only.
# AL2023's package repositories are served from S3, so a subnet without internet access needs only the VPC's
# S3 gateway endpoint (README, Deploying). AL2023 namespaces Node: the binary is node-22, whatever `node` is.
set -euo pipefail
if ! grep -Eq '"isMaster": *true' /mnt/var/lib/info/instance.json; then
  exit 0
fi
sudo dnf install -y -q nodejs22
node_bin=/usr/bin/node-22
version=$("$node_bin" --version)
if [[ "$version" != v22.* ]]; then
  echo "bootstrap-node: $node_bin is $version, not Node 22" >&2
  exit 1
fi
# Three quarters of the instance's memory for the JS heap: the trainer's records and id maps live there, its
# matrices (typed arrays) outside it; Node's default caps the heap at a few GiB whatever the instance has.
mem_mb=$(( $(awk '/^MemTotal:/ {print $2}' /proc/meminfo) / 1024 ))
heap_mb=$(( mem_mb * 3 / 4 ))
sudo tee /usr/local/bin/recsys-node >/dev/null <<WRAPPER
#!/bin/bash
exec $node_bin --max-old-space-size=$heap_mb "\$@"
WRAPPER
sudo chmod 755 /usr/local/bin/recsys-node
echo "bootstrap-node: $version at /usr/local/bin/recsys-node, heap ${heap_mb} MiB"
