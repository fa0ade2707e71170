"""The TypeScript of a generated community package: per node group the operations file, the
action node and the polling trigger; the shared transport; the credentials type.

Written to pass `tsc` under the strictest options (no unused import or parameter, index
signatures read with brackets) and n8n's community-package scanner: authenticated requests
through `httpRequestWithAuthentication`, `file:` SVG icons (light and dark), `usableAsTool`, a
subtitle, credentials with an icon, a documentation URL and a test request. A call's answer is
one item per input item (objects as they are, anything else, lists included, under `result`).
"""

from __future__ import annotations

from typing import Any

from toolorch.backends.n8n import style
from toolorch.backends.n8n.operations import N8nOperation, N8nParam, NodeGroup
from toolorch.backends.n8n.tsliteral import TsCode, ts_literal, ts_string

MAIN = TsCode("NodeConnectionTypes.Main")
_CAST = {"number": "number", "string": "string", "boolean": "boolean", "options": "string"}


def icon_ref(stem: str) -> dict[str, str]:
    return {"light": f"file:{stem}.svg", "dark": f"file:{stem}.dark.svg"}


def _property(p: N8nParam, op: N8nOperation | None) -> dict[str, Any]:
    prop: dict[str, Any] = {"displayName": p.display, "name": p.name, "type": p.type, "default": p.default}
    if p.options:
        prop["options"] = style.by_name([{"name": o, "value": o} for o in p.options])
    if p.type == "string" and style.sensitive(p.name):
        prop["typeOptions"] = {"password": True}
    if p.required and op is not None:
        prop["required"] = True
        prop["displayOptions"] = {"show": {"operation": [op.value]}}
    what = f"{p.display} ({p.lean_type})"
    prop["description"] = style.description(f"Whether {what}" if p.type == "boolean" else what)
    return prop


def operation_properties(group: NodeGroup) -> list[dict[str, Any]]:
    ops = group.operations
    props: list[dict[str, Any]] = [{
        "displayName": "Operation", "name": "operation", "type": "options", "noDataExpression": True,
        "options": style.by_name([{"name": o.name, "value": o.value, "description": o.description,
                                   "action": style.action(o.description, o.name)} for o in ops]),
        "default": ops[0].value,
    }]
    for op in ops:
        props.extend(_property(p, op) for p in op.required)
        if op.optional:
            props.append({
                "displayName": "Additional Fields", "name": "additionalFields", "type": "collection",
                "placeholder": "Add Field", "default": {},
                "displayOptions": {"show": {"operation": [op.value]}},
                "options": style.by_name([_property(p, None) for p in op.optional], "displayName"),
            })
    return props


def _read(p: N8nParam, source: str) -> str:
    key = ts_string(p.name)
    if p.type == "json":
        return f"body[{key}] = readJson({source}) as IDataObject;"
    return f"body[{key}] = {source} as {_CAST[p.type]};"


def operations_ts(group: NodeGroup) -> str:
    uses_json = any(p.type == "json" for o in group.operations for p in o.params)
    uses_param = any(o.params for o in group.operations)
    cases: list[str] = []
    for op in group.operations:
        lines = [f"\t\tcase {ts_string(op.value)}: {{"]
        for p in op.required:
            lines.append("\t\t\t" + _read(p, f"param({ts_string(p.name)})"))
        if op.optional:
            lines.append("\t\t\tconst extra = param('additionalFields', {}) as IDataObject;")
            for p in op.optional:
                key = ts_string(p.name)
                lines.append(f"\t\t\tif (extra[{key}] !== undefined) {{")
                lines.append("\t\t\t\t" + _read(p, f"extra[{key}]"))
                lines.append("\t\t\t}")
        lines.append("\t\t\tbreak;\n\t\t}")
        cases.append("\n".join(lines))
    transport = ("import { readJson, type ParamReader } from '../shared/transport';\n" if uses_json
                 else "import type { ParamReader } from '../shared/transport';\n")
    return (
        "import type { IDataObject, INodeProperties } from 'n8n-workflow';\n\n"
        + transport + "\n"
        f"/** Operations of the Lean namespace `{group.group}`: one per declaration. */\n"
        f"export const operationProperties: INodeProperties[] = {ts_literal(operation_properties(group), 0)};\n\n"
        "/** The request body of an operation: its parameters by name, typed as the spec says. */\n"
        f"export function buildBody(operation: string, {'param' if uses_param else '_param'}: ParamReader): IDataObject {{\n"
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

/** The service's answer as one item: an object as it is, anything else (a list too) under `result`. */
export function toItem(response: unknown): IDataObject {
\tif (response !== null && typeof response === 'object' && !Array.isArray(response)) {
\t\treturn response as IDataObject;
\t}
\treturn { result: response } as IDataObject;
}

/** `https://host/api/` + `Ns.op` → `https://host/api/Ns.op`. */
export function operationUrl(baseUrl: string, operation: string): string {
\treturn `${baseUrl.replace(/\\/+$/, '')}/${encodeURIComponent(operation)}`;
}
"""


def _base_url_property(cred: str | None) -> list[Any]:
    if cred:
        return [TsCode("...operationProperties")]
    return [TsCode("...operationProperties"),
            {"displayName": "Base URL", "name": "baseUrl", "type": "string", "required": True,
             "default": "http://localhost:8080", "description": "Where the operations are served"}]


def _description(group: NodeGroup, cred: str | None, trigger: bool) -> dict[str, Any]:
    ops = ", ".join(o.name for o in group.operations[:6]) + ("…" if len(group.operations) > 6 else "")
    suffix = " Trigger" if trigger else ""
    desc: dict[str, Any] = {
        "displayName": group.display_name + suffix,
        "name": group.node_name + ("Trigger" if trigger else ""),
        "icon": icon_ref(group.node_name),
        "group": ["trigger"] if trigger else ["transform"],
        "version": 1,
        "subtitle": '={{$parameter["operation"]}}',
        "description": (f"Polls an operation of the Lean spec {group.group} and emits its result when it changes"
                        if trigger else f"Operations of the Lean spec {group.group}: {ops}"),
        "defaults": {"name": group.display_name + suffix},
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


def _request(cred: str | None, indent: str) -> str:
    call = (f"this.helpers.httpRequestWithAuthentication.call(this, '{cred}', {{" if cred
            else "this.helpers.httpRequest({")
    return (f"{indent}const response: unknown = await {call}\n"
            f"{indent}\tmethod: 'POST',\n{indent}\turl: operationUrl(baseUrl, operation),\n"
            f"{indent}\tbody: buildBody(operation, param),\n{indent}\tjson: true,\n{indent}}});\n")


def _credential_base_url(cred: str) -> str:
    return (f"\t\tconst credentials = await this.getCredentials('{cred}');\n"
            "\t\tconst baseUrl = String(credentials['baseUrl'] ?? '');\n")


def action_node_ts(group: NodeGroup, cred: str | None) -> str:
    base_url = "" if cred else "\t\t\t\tconst baseUrl = String(this.getNodeParameter('baseUrl', i));\n"
    return (
        "import type {\n\tIExecuteFunctions,\n\tINodeExecutionData,\n\tINodeType,\n\tINodeTypeDescription,\n"
        "} from 'n8n-workflow';\n"
        "import { NodeConnectionTypes, NodeOperationError } from 'n8n-workflow';\n\n"
        "import { operationUrl, toItem, type ParamReader } from '../shared/transport';\n"
        f"import {{ buildBody, operationProperties }} from './{group.class_name}.operations';\n\n"
        f"/** Calls the operations of the Lean namespace `{group.group}` over HTTP, one call per item. */\n"
        f"export class {group.class_name} implements INodeType {{\n"
        f"\tdescription: INodeTypeDescription = {ts_literal(_description(group, cred, trigger=False), 1)};\n\n"
        "\tasync execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {\n"
        "\t\tconst items = this.getInputData();\n"
        "\t\tconst returnData: INodeExecutionData[] = [];\n"
        + (_credential_base_url(cred) if cred else "")
        + "\t\tfor (let i = 0; i < items.length; i++) {\n\t\t\ttry {\n"
        + base_url
        + "\t\t\t\tconst operation = this.getNodeParameter('operation', i) as string;\n"
        "\t\t\t\tconst param: ParamReader = (name, fallback) => this.getNodeParameter(name, i, fallback);\n"
        + _request(cred, "\t\t\t\t")
        + "\t\t\t\treturnData.push({ json: toItem(response), pairedItem: { item: i } });\n"
        "\t\t\t} catch (error) {\n"
        "\t\t\t\tif (this.continueOnFail()) {\n"
        "\t\t\t\t\treturnData.push({ json: { error: (error as Error).message }, pairedItem: { item: i } });\n"
        "\t\t\t\t\tcontinue;\n\t\t\t\t}\n"
        "\t\t\t\tthrow new NodeOperationError(this.getNode(), error as Error, { itemIndex: i });\n"
        "\t\t\t}\n\t\t}\n\t\treturn [returnData];\n\t}\n}\n"
    )


def trigger_node_ts(group: NodeGroup, cred: str | None) -> str:
    cls = group.class_name + "Trigger"
    base_url = _credential_base_url(cred) if cred else \
        "\t\tconst baseUrl = String(this.getNodeParameter('baseUrl'));\n"
    return (
        "import type {\n\tINodeExecutionData,\n\tINodeType,\n\tINodeTypeDescription,\n\tIPollFunctions,\n"
        "} from 'n8n-workflow';\n"
        "import { NodeConnectionTypes } from 'n8n-workflow';\n\n"
        "import { operationUrl, toItem, type ParamReader } from '../shared/transport';\n"
        f"import {{ buildBody, operationProperties }} from '../{group.class_name}/{group.class_name}.operations';\n\n"
        f"/** Polls an operation of the Lean namespace `{group.group}`; emits when its answer changes. */\n"
        f"export class {cls} implements INodeType {{\n"
        f"\tdescription: INodeTypeDescription = {ts_literal(_description(group, cred, trigger=True), 1)};\n\n"
        "\tasync poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {\n"
        + base_url
        + "\t\tconst operation = this.getNodeParameter('operation') as string;\n"
        "\t\tconst param: ParamReader = (name, fallback) => this.getNodeParameter(name, fallback);\n"
        + _request(cred, "\t\t")
        + "\t\tconst staticData = this.getWorkflowStaticData('node');\n"
        "\t\tconst digest = JSON.stringify(response);\n"
        "\t\tif (this.getMode() !== 'manual' && staticData['lastDigest'] === digest) {\n\t\t\treturn null;\n\t\t}\n"
        "\t\tstaticData['lastDigest'] = digest;\n"
        "\t\treturn [this.helpers.returnJsonArray([toItem(response)])];\n\t}\n}\n"
    )


def credentials_ts(cls: str, name: str, display: str, documentation_url: str) -> str:
    properties = [
        {"displayName": "Base URL", "name": "baseUrl", "type": "string", "default": "http://localhost:8080",
         "required": True},
        {"displayName": "API Key", "name": "apiKey", "type": "string", "typeOptions": {"password": True},
         "default": ""},
    ]
    return (
        "import type {\n\tIAuthenticateGeneric,\n\tICredentialTestRequest,\n\tICredentialType,\n"
        "\tIcon,\n\tINodeProperties,\n} from 'n8n-workflow';\n\n"
        "/** Where the spec's operations are served, and the key sent as a bearer token. */\n"
        f"export class {cls} implements ICredentialType {{\n"
        f"\tname = {ts_string(name)};\n\n\tdisplayName = {ts_string(display)};\n\n"
        f"\ticon: Icon = {ts_literal(icon_ref(name), 1)};\n\n"
        f"\tdocumentationUrl = {ts_string(documentation_url)};\n\n"
        f"\tproperties: INodeProperties[] = {ts_literal(properties, 1)};\n\n"
        "\tauthenticate: IAuthenticateGeneric = {\n\t\ttype: 'generic',\n"
        "\t\tproperties: {\n\t\t\theaders: {\n\t\t\t\tAuthorization: '=Bearer {{$credentials.apiKey}}',\n"
        "\t\t\t},\n\t\t},\n\t};\n\n"
        "\ttest: ICredentialTestRequest = {\n\t\trequest: {\n\t\t\tbaseURL: '={{$credentials.baseUrl}}',\n"
        "\t\t\turl: '/',\n\t\t},\n\t};\n}\n"
    )
