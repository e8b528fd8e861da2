// The step tree: the API lists a job's steps flat, in tree order, each sub-step naming its parent.

/** Top-level steps, each {step, children, depth, label} with children ordered by number; label "2.1". */
export function stepTree(steps) {
  const nodes = new Map(steps.map((step) => [step.id, { step, children: [] }]));
  const roots = [];
  for (const node of nodes.values()) {
    const parent = node.step.parent_step ? nodes.get(node.step.parent_step.id) : undefined;
    (parent ? parent.children : roots).push(node);
  }
  const number = (node) => Number(node.step.number ?? 0);
  const label = (list, prefix, depth) => {
    list.sort((a, b) => number(a) - number(b));
    for (const node of list) {
      node.depth = depth;
      node.label = prefix ? `${prefix}.${number(node) + 1}` : String(number(node) + 1);
      label(node.children, node.label, depth + 1);
    }
  };
  label(roots, "", 0);
  return roots;
}

/** The tree's nodes, each parent before its children. */
export function flatten(roots) {
  return roots.flatMap((node) => [node, ...flatten(node.children)]);
}
