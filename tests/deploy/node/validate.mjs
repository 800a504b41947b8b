// Validate Prometheus Operator resources (JSON array on stdin) with the validators that
// @kubernetes-models/prometheus-operator generates from the upstream CRDs.
// Prints one line per resource: "ok <kind>/<name>" or "error <kind>/<name>: <message>".
import { readFileSync } from "node:fs";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { PodMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor";

const models = { ServiceMonitor, PrometheusRule, PodMonitor };
const docs = JSON.parse(readFileSync(0, "utf8"));
let failed = 0;
for (const doc of docs) {
  const id = `${doc.kind}/${doc.metadata?.name}`;
  const Model = models[doc.kind];
  if (!Model) { console.log(`error ${id}: no validator for this kind`); failed++; continue; }
  try {
    new Model(doc).validate();
    console.log(`ok ${id}`);
  } catch (err) {
    console.log(`error ${id}: ${err.message}`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
