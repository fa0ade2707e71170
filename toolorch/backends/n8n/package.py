"""An n8n community-node package for the operations of a Lean spec (the files, as text).

    package.json                         n8n key (API 1, strict), nodes + credentials, n8n-workflow peer
    tsconfig.json                        strict; compiles nodes/ and credentials/ into dist/
    README.md                            the operations and how each is called
    nodes/shared/transport.ts            JSON parameter parsing, response → items
    nodes/<X>/<X>.operations.ts          the group's properties and the request body per operation
    nodes/<X>/<X>.node.ts                action node: POST ${baseUrl}/<operation> per input item
    nodes/<X>Trigger/<X>Trigger.node.ts  polling trigger: calls the operation, emits on change
    credentials/<Root>Api.credentials.ts base URL + API key (when generate_credentials)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from toolorch.backends.n8n.operations import N8nOperation, N8nParam, NodeGroup

N8N_WORKFLOW_VERSION = "2.41.0"
TYPESCRIPT_VERSION = "5.9.3"
MAIN = "__NodeConnectionTypes.Main__"


@dataclass(slots=True)
class PackageFiles:
    name: str
    files: dict[str, str] = field(default_factory=dict)
    node_files: list[str] = field(default_factory=list)
    credential_files: list[str] = field(default_factory=list)


def _ts(value: Any, indent: int = 1) -> str:
    """A JSON value as a TypeScript literal (tab-indented), with the connection-type sentinel
    replaced by the real constant."""
    text = json.dumps(value, indent="\t", ensure_ascii=False)
    text = text.replace(f'"{MAIN}"', "NodeConnectionTypes.Main")
    return text.replace("\n", "\n" + "\t" * indent)


def _property(p: N8nParam, op: N8nOperation | None) -> dict[str, Any]:
    prop: dict[str, Any] = {"displayName": p.display, "name": p.name, "type": p.type, "default": p.default}
    if p.options:
        prop["options"] = [{"name": o, "value": o} for o in p.options]
    if p.required and op is not None:
        prop["required"] = True
        prop["displayOptions"] = {"show": {"operation": [op.value]}}
    prop["description"] = f"{p.name} : {p.lean_type}"
    return prop


def operation_properties(group: NodeGroup) -> list[dict[str, Any]]:
    ops = group.operations
    props: list[dict[str, Any]] = [{
        "displayName": "Operation", "name": "operation", "type": "options", "noDataExpression": True,
        "options": [{"name": o.name, "value": o.value, "description": o.description,
                     "action": o.description[:60] if o.description else o.name} for o in ops],
        "default": ops[0].value,
    }]
    for op in ops:
        props.extend(_property(p, op) for p in op.required)
        if op.optional:
            props.append({
                "displayName": "Additional Fields", "name": "additionalFields", "type": "collection",
                "placeholder": "Add Field", "default": {},
                "displayOptions": {"show": {"operation": [op.value]}},
                "options": [_property(p, None) for p in op.optional],
            })
    return props


_CAST = {"number": "number", "string": "string", "boolean": "boolean", "options": "string"}


def _read(p: N8nParam, source: str) -> str:
    key = json.dumps(p.name)
    if p.type == "json":
        return f"body[{key}] = readJson({source}) as IDataObject;"
    return f"body[{key}] = {source} as {_CAST[p.type]};"


def operations_ts(group: NodeGroup) -> str:
    cases: list[str] = []
    for op in group.operations:
        lines = [f"\t\tcase {json.dumps(op.value)}: {{"]
        for p in op.required:
            lines.append("\t\t\t" + _read(p, f"param({json.dumps(p.name)})"))
        if op.optional:
            lines.append("\t\t\tconst extra = param('additionalFields', {}) as IDataObject;")
            for p in op.optional:
                key = json.dumps(p.name)
                lines.append(f"\t\t\tif (extra[{key}] !== undefined) {{")
                lines.append("\t\t\t\t" + _read(p, f"extra[{key}]"))
                lines.append("\t\t\t}")
        lines.append("\t\t\tbreak;\n\t\t}")
        cases.append("\n".join(lines))
    return (
        "import type { IDataObject, INodeProperties } from 'n8n-workflow';\n\n"
        "import { readJson, type ParamReader } from '../shared/transport';\n\n"
        f"/** Operations of the Lean namespace `{group.group}`: one per declaration. */\n"
        f"export const operationProperties: INodeProperties[] = {_ts(operation_properties(group), 0)};\n\n"
        "/** The request body of an operation: its parameters by name, typed as the spec says. */\n"
        "export function buildBody(operation: string, param: ParamReader): IDataObject {\n"
        "\tconst body: IDataObject = {};\n\tswitch (operation) {\n"
        + "\n".join(cases)
        + "\n\t\tdefault:\n\t\t\tthrow new Error(`Unknown operation: ${operation}`);\n\t}\n\treturn body;\n}\n"
    )


TRANSPORT_TS = """import type { IDataObject } from 'n8n-workflow';
import { jsonParse } from 'n8n-workflow';

/** Reads a node parameter of the current item (action) or of the node (trigger). */
export type ParamReader = (name: string, fallback?: unknown) => unknown;

/** A `json` parameter arrives as text from the editor and as a value from expressions. */
export function readJson(value: unknown): unknown {
\tif (typeof value !== 'string') {
\t\treturn value;
\t}
\treturn value.trim() === '' ? null : jsonParse(value);
}

/** The service's answer as n8n items: objects as they are, anything else under `result`. */
export function toItems(response: unknown): IDataObject[] {
\tconst values: unknown[] = Array.isArray(response) ? response : [response];
\treturn values.map((value) =>
\t\tvalue !== null && typeof value === 'object' && !Array.isArray(value)
\t\t\t? (value as IDataObject)
\t\t\t: { result: value as IDataObject },
\t);
}

/** `https://host/api/` + `Ns.op` → `https://host/api/Ns.op`. */
export function operationUrl(baseUrl: string, operation: string): string {
\treturn `${baseUrl.replace(/\\/+$/, '')}/${encodeURIComponent(operation)}`;
}
"""


def _connection(cred: str | None, item: str) -> str:
    if cred:
        return (f"\t\tconst credentials = await this.getCredentials('{cred}');\n"
                "\t\tconst baseUrl = String(credentials.baseUrl ?? '');\n"
                "\t\tconst headers: IDataObject = {};\n"
                "\t\tif (credentials.apiKey) {\n"
                "\t\t\theaders.Authorization = `Bearer ${String(credentials.apiKey)}`;\n\t\t}\n")
    read = f"this.getNodeParameter('baseUrl', {item})" if item else "this.getNodeParameter('baseUrl')"
    return f"\t\tconst baseUrl = String({read});\n\t\tconst headers: IDataObject = {{}};\n"


def _base_url_property(cred: str | None) -> list[dict[str, Any]]:
    if cred:
        return []
    return [{"displayName": "Base URL", "name": "baseUrl", "type": "string", "required": True,
             "default": "http://localhost:8080", "description": "Where the operations are served"}]


def _description(group: NodeGroup, cred: str | None, trigger: bool) -> dict[str, Any]:
    ops = ", ".join(o.name for o in group.operations[:6]) + ("…" if len(group.operations) > 6 else "")
    desc: dict[str, Any] = {
        "displayName": group.display_name + (" Trigger" if trigger else ""),
        "name": group.node_name + ("Trigger" if trigger else ""),
        "icon": "fa:cube",
        "group": ["trigger"] if trigger else ["transform"],
        "version": 1,
        "subtitle": '={{$parameter["operation"]}}',
        "description": (f"Polls an operation of the Lean spec {group.group} and emits its result when it changes"
                        if trigger else f"Operations of the Lean spec {group.group}: {ops}"),
        "defaults": {"name": group.display_name + (" Trigger" if trigger else "")},
        "inputs": [] if trigger else [MAIN],
        "outputs": [MAIN],
    }
    if trigger:
        desc["polling"] = True
    else:
        desc["usableAsTool"] = True
    if cred:
        desc["credentials"] = [{"name": cred, "required": True}]
    desc["properties"] = _base_url_property(cred)
    return desc


def action_node_ts(group: NodeGroup, cred: str | None) -> str:
    desc = _ts(_description(group, cred, trigger=False), 1)
    desc = desc.replace('"properties": [', '"properties": [\n\t\t\t...operationProperties,', 1)
    return (
        "import type {\n\tIDataObject,\n\tIExecuteFunctions,\n\tINodeExecutionData,\n\tINodeType,\n"
        "\tINodeTypeDescription,\n} from 'n8n-workflow';\n"
        "import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';\n\n"
        f"import {{ operationUrl, toItems, type ParamReader }} from '../shared/transport';\n"
        f"import {{ buildBody, operationProperties }} from './{group.class_name}.operations';\n\n"
        f"/** Calls the operations of the Lean namespace `{group.group}` over HTTP, one call per item. */\n"
        f"export class {group.class_name} implements INodeType {{\n"
        f"\tdescription: INodeTypeDescription = {desc};\n\n"
        "\tasync execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {\n"
        "\t\tconst items = this.getInputData();\n"
        "\t\tconst returnData: INodeExecutionData[] = [];\n"
        + (_connection(cred, "0") if cred else "")
        + "\t\tfor (let i = 0; i < items.length; i++) {\n\t\t\ttry {\n"
        + ("" if cred else _connection(None, "i").replace("\t\tconst", "\t\t\t\tconst"))
        + "\t\t\t\tconst operation = this.getNodeParameter('operation', i) as string;\n"
        "\t\t\t\tconst param: ParamReader = (name, fallback) => this.getNodeParameter(name, i, fallback);\n"
        "\t\t\t\tconst response: unknown = await this.helpers.httpRequest({\n"
        "\t\t\t\t\tmethod: 'POST',\n\t\t\t\t\turl: operationUrl(baseUrl, operation),\n"
        "\t\t\t\t\tbody: buildBody(operation, param),\n\t\t\t\t\theaders,\n\t\t\t\t\tjson: true,\n\t\t\t\t});\n"
        "\t\t\t\tfor (const json of toItems(response)) {\n"
        "\t\t\t\t\treturnData.push({ json, pairedItem: { item: i } });\n\t\t\t\t}\n"
        "\t\t\t} catch (error) {\n"
        "\t\t\t\tif (this.continueOnFail()) {\n"
        "\t\t\t\t\treturnData.push({ json: { error: (error as Error).message }, pairedItem: { item: i } });\n"
        "\t\t\t\t\tcontinue;\n\t\t\t\t}\n"
        "\t\t\t\tthrow new NodeOperationError(this.getNode(), error as Error, { itemIndex: i });\n"
        "\t\t\t}\n\t\t}\n\t\treturn [returnData];\n\t}\n}\n"
    )


def trigger_node_ts(group: NodeGroup, cred: str | None) -> str:
    desc = _ts(_description(group, cred, trigger=True), 1)
    desc = desc.replace('"properties": [', '"properties": [\n\t\t\t...operationProperties,', 1)
    cls = group.class_name + "Trigger"
    return (
        "import type {\n\tIDataObject,\n\tINodeExecutionData,\n\tINodeType,\n\tINodeTypeDescription,\n"
        "\tIPollFunctions,\n} from 'n8n-workflow';\n"
        "import { NodeConnectionTypes } from 'n8n-workflow';\n\n"
        "import { operationUrl, toItems, type ParamReader } from '../shared/transport';\n"
        f"import {{ buildBody, operationProperties }} from '../{group.class_name}/{group.class_name}.operations';\n\n"
        f"/** Polls an operation of the Lean namespace `{group.group}`; emits when its answer changes. */\n"
        f"export class {cls} implements INodeType {{\n"
        f"\tdescription: INodeTypeDescription = {desc};\n\n"
        "\tasync poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {\n"
        + _connection(cred, "")
        + "\t\tconst operation = this.getNodeParameter('operation') as string;\n"
        "\t\tconst param: ParamReader = (name, fallback) => this.getNodeParameter(name, fallback);\n"
        "\t\tconst response: unknown = await this.helpers.httpRequest({\n"
        "\t\t\tmethod: 'POST',\n\t\t\turl: operationUrl(baseUrl, operation),\n"
        "\t\t\tbody: buildBody(operation, param),\n\t\t\theaders,\n\t\t\tjson: true,\n\t\t});\n"
        "\t\tconst staticData = this.getWorkflowStaticData('node');\n"
        "\t\tconst digest = JSON.stringify(response);\n"
        "\t\tif (this.getMode() !== 'manual' && staticData.lastDigest === digest) {\n\t\t\treturn null;\n\t\t}\n"
        "\t\tstaticData.lastDigest = digest;\n"
        "\t\treturn [this.helpers.returnJsonArray(toItems(response))];\n\t}\n}\n"
    )


def credentials_ts(cls: str, name: str, display: str) -> str:
    return (
        "import type {\n\tIAuthenticateGeneric,\n\tICredentialTestRequest,\n\tICredentialType,\n"
        "\tINodeProperties,\n} from 'n8n-workflow';\n\n"
        "/** Where the spec's operations are served, and the key sent as a bearer token. */\n"
        f"export class {cls} implements ICredentialType {{\n"
        f"\tname = '{name}';\n\n\tdisplayName = {json.dumps(display)};\n\n"
        "\tproperties: INodeProperties[] = [\n"
        "\t\t{\n\t\t\tdisplayName: 'Base URL',\n\t\t\tname: 'baseUrl',\n\t\t\ttype: 'string',\n"
        "\t\t\tdefault: 'http://localhost:8080',\n\t\t\trequired: true,\n\t\t},\n"
        "\t\t{\n\t\t\tdisplayName: 'API Key',\n\t\t\tname: 'apiKey',\n\t\t\ttype: 'string',\n"
        "\t\t\ttypeOptions: { password: true },\n\t\t\tdefault: '',\n\t\t},\n\t];\n\n"
        "\tauthenticate: IAuthenticateGeneric = {\n\t\ttype: 'generic',\n"
        "\t\tproperties: {\n\t\t\theaders: {\n\t\t\t\tAuthorization: '=Bearer {{$credentials.apiKey}}',\n"
        "\t\t\t},\n\t\t},\n\t};\n\n"
        "\ttest: ICredentialTestRequest = {\n\t\trequest: {\n\t\t\tbaseURL: '={{$credentials.baseUrl}}',\n"
        "\t\t\turl: '/',\n\t\t},\n\t};\n}\n"
    )


def kebab(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name).lower()).strip("-")


def build_package(groups: list[NodeGroup], root: str, component_type: str,
                  generate_credentials: bool, source: str) -> PackageFiles:
    pkg = PackageFiles(name=f"n8n-nodes-{kebab(root) or 'spec'}")
    root_cls = re.sub(r"[^A-Za-z0-9]", "", root[:1].upper() + root[1:]) or "Spec"
    cred = f"{root_cls[0].lower()}{root_cls[1:]}Api" if generate_credentials else None
    files = pkg.files
    files["nodes/shared/transport.ts"] = TRANSPORT_TS
    for g in groups:
        files[f"nodes/{g.class_name}/{g.class_name}.operations.ts"] = operations_ts(g)
        if component_type in ("action", "custom"):
            path = f"nodes/{g.class_name}/{g.class_name}.node.ts"
            files[path] = action_node_ts(g, cred)
            pkg.node_files.append(path)
        if component_type in ("trigger", "custom") and any(o.result not in ("Unit", "") for o in g.operations):
            path = f"nodes/{g.class_name}Trigger/{g.class_name}Trigger.node.ts"
            files[path] = trigger_node_ts(g, cred)
            pkg.node_files.append(path)
    if cred:
        path = f"credentials/{root_cls}Api.credentials.ts"
        files[path] = credentials_ts(f"{root_cls}Api", cred, f"{root} API")
        pkg.credential_files.append(path)
    n8n = {"n8nNodesApiVersion": 1, "strict": True,
           "nodes": [f"dist/{p[:-3]}.js" for p in pkg.node_files],
           "credentials": [f"dist/{p[:-3]}.js" for p in pkg.credential_files]}
    files["package.json"] = json.dumps({
        "name": pkg.name, "version": "0.1.0",
        "description": f"n8n nodes for the operations of the Lean 4 spec {root} (generated by toolorch)",
        "keywords": ["n8n-community-node-package"], "license": "MIT",
        "files": ["dist"],
        "scripts": {"build": "tsc -p tsconfig.json", "typecheck": "tsc --noEmit -p tsconfig.json"},
        "n8n": n8n,
        "devDependencies": {"n8n-workflow": N8N_WORKFLOW_VERSION, "typescript": TYPESCRIPT_VERSION},
        "peerDependencies": {"n8n-workflow": "*"},
    }, indent=2) + "\n"
    files["tsconfig.json"] = json.dumps({"compilerOptions": {
        "strict": True, "target": "es2022", "module": "commonjs", "moduleResolution": "node",
        "lib": ["es2022"], "types": [], "outDir": "dist", "rootDir": ".", "declaration": True,
        "esModuleInterop": True, "skipLibCheck": True, "forceConsistentCasingInFileNames": True,
        "noImplicitReturns": True, "noUnusedLocals": True, "useUnknownInCatchVariables": True,
    }, "include": ["nodes/**/*.ts", "credentials/**/*.ts"]}, indent=2) + "\n"
    ops = "\n".join(f"- `{o.value}` ({g.display_name}): {o.description}" for g in groups for o in g.operations)
    files["README.md"] = (
        f"# {pkg.name}\n\nn8n community nodes generated by toolorch from the Lean 4 spec `{source}`.\n"
        f"Each operation is a `POST <base URL>/<operation>` with the parameters as a JSON body.\n\n"
        f"Build: `npm install && npm run build`, then install the package in n8n.\n\n## Operations\n\n{ops}\n")
    return pkg
