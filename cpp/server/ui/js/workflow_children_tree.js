// The relationships tree of one workflow: its parent above it, then its children, their
// children and so on, each a link with its type and status. Each level is one visibility
// query (ParentWorkflowId = '…'), not a history read; the tree is bounded so that a huge
// fan-out cannot hang the page.
'use strict';

const TREE_MAX_DEPTH = 5;
const TREE_MAX_NODES = 200;

function treeNode(w, isSelf) {
  return h('span', {class: isSelf ? 'tree-node tree-self' : 'tree-node'},
    isSelf ? h('strong', {}, w.execution.workflowId)
           : h('a', {href: workflowHref(w.execution)}, w.execution.workflowId),
    ' ', h('span', {class: 'muted'}, w.workflowType || ''), ' ', statusCell(w.status));
}

// The direct children of `workflowId` (every run of it), up to `limit`.
async function childrenOf(workflowId, limit) {
  const quote = s => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const resp = await Api.call('ListWorkflowExecutions', {
    query: `ParentWorkflowId = ${quote(workflowId)}`, pageSize: limit});
  return {runs: resp.executions || [], more: Boolean(resp.nextPageToken)};
}

// <ul> of the descendants of `workflowId`, depth-first; budget.left counts nodes still allowed.
async function descendantsList(workflowId, depth, budget) {
  if (budget.left <= 0) return null;
  const {runs, more} = await childrenOf(workflowId, Math.min(budget.left, 100));
  if (!runs.length) return null;
  const ul = h('ul', {});
  for (const w of runs) {
    if (budget.left <= 0) { budget.truncated = true; break; }
    budget.left -= 1;
    const li = h('li', {class: 'tree-item'}, treeNode(w, false));
    if (depth + 1 < TREE_MAX_DEPTH) {
      const sub = await descendantsList(w.execution.workflowId, depth + 1, budget);
      if (sub) li.append(sub);
    } else {
      budget.truncated = true;
    }
    ul.append(li);
  }
  if (more) budget.truncated = true;
  return ul;
}

// info: the DescribeWorkflowExecution response's `info` of the run shown.
async function childrenTree(info) {
  const box = h('div', {id: 'children-tree', class: 'tree'});
  const budget = {left: TREE_MAX_NODES, truncated: false};
  try {
    const self = h('li', {class: 'tree-item'}, treeNode(info, true));
    const sub = await descendantsList(info.execution.workflowId, 0, budget);
    if (sub) self.append(sub);
    let root = h('ul', {}, self);
    if (info.parent) {
      root = h('ul', {}, h('li', {class: 'tree-item tree-parent'},
        h('span', {class: 'tree-node'}, 'parent ',
          h('a', {href: workflowHref(info.parent)}, info.parent.workflowId)), root));
    }
    box.append(root);
    if (!sub) box.append(h('p', {class: 'muted'}, 'No child workflows.'));
    if (budget.truncated) {
      box.append(h('p', {class: 'muted', id: 'children-tree-more'},
        `more… (the tree shows at most ${TREE_MAX_NODES} workflows, ${TREE_MAX_DEPTH} levels deep)`));
    }
  } catch (e) {
    box.append(h('p', {class: 'error'}, e.message));
  }
  return box;
}
