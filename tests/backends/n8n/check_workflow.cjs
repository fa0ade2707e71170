#!/usr/bin/env node
// Check n8n workflow JSON files the way n8n itself would see them, without running n8n:
//  1. n8n-workflow's structure parser (shape, duplicate names/ids, dangling connections);
//  2. every node's type and typeVersion against the real node descriptions of n8n-nodes-base
//     (dist/types/nodes.json, fetched by toolorch/backends/n8n/fetch_node_types.sh);
//  3. n8n-workflow's `new Workflow({...nodeTypes})` and NodeHelpers: parameters filled with their
//     defaults, then parameter issues (a required parameter missing or empty) reported;
//  4. every node except the trigger is the target of a connection.
// Usage: node check_workflow.cjs <nodes.json> <workflow.json>...
// Prints one JSON report per line: {file, ok, nodes, errors}; exits 1 when any check fails.
'use strict';

const fs = require('fs');
const { Workflow, NodeHelpers, safeParseWorkflowStructure } = require('n8n-workflow');

const PREFIX = 'n8n-nodes-base.';

function loadNodeTypes(file) {
	const byType = new Map();
	for (const description of JSON.parse(fs.readFileSync(file, 'utf8'))) {
		const type = PREFIX + description.name;
		if (!byType.has(type)) byType.set(type, []);
		byType.get(type).push(description);
	}
	const versions = (d) => (Array.isArray(d.version) ? d.version : [d.version]);
	const find = (type, version) => (byType.get(type) || []).find((d) => versions(d).includes(version));
	return {
		byType,
		versions,
		find,
		nodeTypes: {
			getByName: (type) => {
				const list = byType.get(type);
				return list ? { description: list[0] } : undefined;
			},
			getByNameAndVersion: (type, version) => {
				const description = find(type, version);
				return description ? { description } : undefined;
			},
			getKnownTypes: () => ({}),
		},
	};
}

function checkWorkflow(workflow, types) {
	const errors = [];
	const structure = safeParseWorkflowStructure(workflow);
	if (!structure.success) {
		for (const issue of structure.issues) errors.push(`structure: ${issue.message} at ${JSON.stringify(issue.path)}`);
		return errors;
	}
	for (const node of workflow.nodes) {
		if (!types.byType.has(node.type)) {
			errors.push(`${node.name}: unknown node type ${node.type}`);
			continue;
		}
		const description = types.find(node.type, node.typeVersion);
		if (!description) {
			const known = types.byType.get(node.type).flatMap(types.versions);
			errors.push(`${node.name}: ${node.type} has no typeVersion ${node.typeVersion} (known: ${known.join(', ')})`);
			continue;
		}
		const parameters = NodeHelpers.getNodeParameters(
			description.properties, node.parameters, true, false, node, description,
		);
		const issues = NodeHelpers.getNodeParametersIssues(
			description.properties, { ...node, parameters: parameters || {} }, description,
		);
		if (issues && issues.parameters) {
			for (const [name, messages] of Object.entries(issues.parameters)) {
				errors.push(`${node.name}: parameter ${name}: ${messages.join('; ')}`);
			}
		}
	}
	if (errors.length) return errors;
	const graph = new Workflow({
		id: 'check', name: workflow.name, nodes: workflow.nodes, connections: workflow.connections,
		active: false, nodeTypes: types.nodeTypes, settings: workflow.settings,
	});
	const targets = new Set();
	for (const outputs of Object.values(workflow.connections)) {
		for (const branches of Object.values(outputs)) {
			for (const branch of branches) for (const c of branch || []) targets.add(c.node);
		}
	}
	const triggers = workflow.nodes.filter((n) => types.find(n.type, n.typeVersion).group.includes('trigger'));
	if (triggers.length === 0) errors.push('no trigger node');
	for (const node of workflow.nodes) {
		if (!graph.getNode(node.name)) errors.push(`${node.name}: not known to the Workflow`);
		if (!triggers.includes(node) && !targets.has(node.name)) errors.push(`${node.name}: not connected`);
	}
	return errors;
}

function main() {
	const [nodesFile, ...files] = process.argv.slice(2);
	if (!nodesFile || files.length === 0) {
		console.error('usage: node check_workflow.cjs <nodes.json> <workflow.json>...');
		process.exit(2);
	}
	const types = loadNodeTypes(nodesFile);
	let failed = false;
	for (const file of files) {
		let errors;
		let count = 0;
		try {
			const workflow = JSON.parse(fs.readFileSync(file, 'utf8'));
			count = Array.isArray(workflow.nodes) ? workflow.nodes.length : 0;
			errors = checkWorkflow(workflow, types);
		} catch (error) {
			errors = [`exception: ${error && error.message}`];
		}
		failed = failed || errors.length > 0;
		console.log(JSON.stringify({ file, ok: errors.length === 0, nodes: count, errors }));
	}
	process.exit(failed ? 1 : 0);
}

main();
