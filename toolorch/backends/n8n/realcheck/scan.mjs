#!/usr/bin/env node
// Run n8n's community-package scanner (@n8n/scan-community-package's analyzePackage) on a local
// package folder, the two ways it scans a published package: the sources (package.json,
// nodes/**, credentials/**) and the built artifact (dist/**/*.js + package.json).
// Usage: node scan.mjs <scanner-module-dir> <package-dir>
// Prints one JSON object: {passed, errors, warnings, source, dist}; exits 1 when not passed.
import path from 'path';
import { createRequire } from 'module';
import { pathToFileURL } from 'url';

const [scannerDir, packageDir] = process.argv.slice(2).map((p) => p && path.resolve(p));
if (!scannerDir || !packageDir) {
	console.error('usage: node scan.mjs <scanner-module-dir> <package-dir>');
	process.exit(2);
}
const scanner = await import(pathToFileURL(path.join(scannerDir, 'scanner', 'scanner.mjs')).href);
// The scanner's own eslint and fast-glob, resolved from where the scanner is installed.
const requireHere = createRequire(path.join(scannerDir, 'package.json'));
const load = (name) => import(pathToFileURL(requireHere.resolve(name)).href);
const { ESLint } = await load('eslint');
const glob = (await load('fast-glob')).default;

async function counts(patterns) {
	// analyzePackage only reports pass/fail and a formatted text; lint once more with the same
	// config to count errors and warnings per rule.
	const files = glob.sync(patterns, { cwd: packageDir, absolute: true, ignore: ['node_modules/**', '**/package-lock.json'] });
	const eslint = new ESLint({ cwd: packageDir, allowInlineConfig: false, overrideConfigFile: true,
		overrideConfig: await scanner.buildScanConfig() });
	const results = files.length ? await eslint.lintFiles(files) : [];
	const messages = [];
	for (const r of results) {
		for (const m of r.messages) {
			messages.push({ file: path.relative(packageDir, r.filePath), line: m.line, rule: m.ruleId,
				severity: m.severity === 2 ? 'error' : 'warning', message: m.message });
		}
	}
	return { files: files.length, messages };
}

const source = await scanner.analyzePackage(packageDir, scanner.SOURCE_FILE_PATTERNS);
const dist = await scanner.analyzePackage(packageDir, ['**/*.js', 'package.json']);
const detail = {
	source: await counts(scanner.SOURCE_FILE_PATTERNS),
	dist: await counts(['**/*.js', 'package.json']),
};
const all = [...detail.source.messages, ...detail.dist.messages];
const out = {
	passed: Boolean(source.passed && dist.passed),
	errors: all.filter((m) => m.severity === 'error').length,
	warnings: all.filter((m) => m.severity === 'warning').length,
	source: { passed: source.passed, message: source.message, files: detail.source.files, messages: detail.source.messages },
	dist: { passed: dist.passed, message: dist.message, files: detail.dist.files, messages: detail.dist.messages },
};
console.log(JSON.stringify(out));
process.exit(out.passed ? 0 : 1);
