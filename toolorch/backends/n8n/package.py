"""An n8n community-node package for the operations of a Lean spec (the files, as text).

    package.json                         n8n key (API 1, strict), nodes + credentials, n8n-workflow peer,
                                         author / homepage / version / license from the project manifest
    tsconfig.json                        the strictest options; compiles nodes/ and credentials/ into dist/
    README.md                            the operations and how each is called
    nodes/shared/transport.ts            JSON parameter parsing, response → item
    nodes/<X>/<X>.operations.ts          the group's properties and the request body per operation
    nodes/<X>/<X>.node.ts                action node: POST ${baseUrl}/<operation> per input item
    nodes/<X>Trigger/<X>Trigger.node.ts  polling trigger: calls the operation, emits on change
    nodes/<X>/<x>.svg, <x>.dark.svg      the node's icons (copied to dist/ by `npm run build`)
    credentials/<Root>Api.credentials.ts base URL + API key (when generate_credentials), with icons
The TypeScript itself is in nodes_ts.py.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from toolorch.backends.n8n.icons import icon_files
from toolorch.backends.n8n.nodes_ts import TRANSPORT_TS, action_node_ts, credentials_ts, operations_ts, trigger_node_ts
from toolorch.backends.n8n.operations import NodeGroup

N8N_WORKFLOW_VERSION = "2.41.0"
TYPESCRIPT_VERSION = "5.9.3"
PLACEHOLDER_AUTHOR = {"name": "UNSET: set the author in package.json", "email": "unset-author@example.invalid"}
PLACEHOLDER_HOMEPAGE = "https://example.invalid/set-the-homepage-in-package-json"
#: @tsconfig/strictest's checks: the generated code must pass every one.
STRICTEST: dict[str, bool] = {
    "strict": True, "allowUnusedLabels": False, "allowUnreachableCode": False,
    "exactOptionalPropertyTypes": True, "noFallthroughCasesInSwitch": True, "noImplicitOverride": True,
    "noImplicitReturns": True, "noPropertyAccessFromIndexSignature": True, "noUncheckedIndexedAccess": True,
    "noUnusedLocals": True, "noUnusedParameters": True, "useUnknownInCatchVariables": True,
    "isolatedModules": True, "forceConsistentCasingInFileNames": True,
}
_COPY_ASSETS = ("node -e \"const fs = require('fs'); for (const d of [{dirs}]) "
                "fs.cpSync(d, 'dist/' + d, {{ recursive: true, filter: (f) => !f.endsWith('.ts') }});\"")


@dataclass(slots=True)
class PackageFiles:
    name: str
    files: dict[str, str] = field(default_factory=dict)
    node_files: list[str] = field(default_factory=list)
    credential_files: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _author_and_homepage(facts: dict[str, Any], pkg: PackageFiles) -> tuple[dict[str, str], str]:
    """The manifest's author and homepage, or placeholders named in `pkg.warnings`."""
    raw = facts.get("author")
    author = {k: str(v) for k, v in raw.items() if k in ("name", "email") and v} if isinstance(raw, dict) else {}
    where = f"the project manifest ({facts['manifest']})" if facts.get("manifest") else "no project manifest"
    if set(author) != {"name", "email"}:
        missing = sorted({"name", "email"} - set(author))
        author = {**PLACEHOLDER_AUTHOR, **author}
        pkg.warnings.append(f"author: {where} gives no author {' or '.join(missing)}; package.json has the "
                            f"placeholder {json.dumps(author)}: set it before publishing")
    homepage = str(facts.get("homepage") or "")
    if not re.match(r"^https?://", homepage):
        homepage = PLACEHOLDER_HOMEPAGE
        pkg.warnings.append(f"homepage: {where} gives no homepage or repository URL; package.json and the "
                            f"credentials' documentationUrl have the placeholder {homepage}: set it before publishing")
    return author, homepage


def kebab(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name).lower()).strip("-")


def build_package(groups: list[NodeGroup], root: str, component_type: str,
                  generate_credentials: bool, source: str, facts: dict[str, Any] | None = None) -> PackageFiles:
    """Every file of the package. `facts`: the source project's manifest facts
    (toolorch-source.json, written by lean4_generate_specs), for author, homepage, version, license."""
    facts = facts or {}
    pkg = PackageFiles(name=f"n8n-nodes-{kebab(root) or 'spec'}")
    author, homepage = _author_and_homepage(facts, pkg)
    root_cls = re.sub(r"[^A-Za-z0-9]", "", root[:1].upper() + root[1:]) or "Spec"
    cred = f"{root_cls[0].lower()}{root_cls[1:]}Api" if generate_credentials else None
    files = pkg.files
    files["nodes/shared/transport.ts"] = TRANSPORT_TS
    for g in groups:
        files[f"nodes/{g.class_name}/{g.class_name}.operations.ts"] = operations_ts(g)
        folders = []
        if component_type in ("action", "custom"):
            path = f"nodes/{g.class_name}/{g.class_name}.node.ts"
            files[path] = action_node_ts(g, cred)
            pkg.node_files.append(path)
            folders.append(g.class_name)
        if component_type in ("trigger", "custom") and any(o.result not in ("Unit", "") for o in g.operations):
            path = f"nodes/{g.class_name}Trigger/{g.class_name}Trigger.node.ts"
            files[path] = trigger_node_ts(g, cred)
            pkg.node_files.append(path)
            folders.append(f"{g.class_name}Trigger")
        for folder in folders:
            for name, svg in icon_files(g.node_name, g.display_name).items():
                files[f"nodes/{folder}/{name}"] = svg
    if cred:
        path = f"credentials/{root_cls}Api.credentials.ts"
        files[path] = credentials_ts(f"{root_cls}Api", cred, f"{root} API", homepage)
        pkg.credential_files.append(path)
        for name, svg in icon_files(cred, f"{root} API").items():
            files[f"credentials/{name}"] = svg
    n8n = {"n8nNodesApiVersion": 1, "strict": True,
           "nodes": [f"dist/{p[:-3]}.js" for p in pkg.node_files],
           "credentials": [f"dist/{p[:-3]}.js" for p in pkg.credential_files]}
    assets = ", ".join(f"'{d}'" for d in (["nodes", "credentials"] if cred else ["nodes"]))
    license_ = str(facts.get("license") or "MIT")
    files["package.json"] = json.dumps({
        "name": pkg.name, "version": str(facts.get("version") or "0.1.0"),
        "description": f"n8n nodes for the operations of the Lean 4 spec {root} (generated by toolorch)",
        "keywords": ["n8n-community-node-package"], "license": license_,
        "author": author, "homepage": homepage,
        "files": ["dist"],
        "scripts": {"build": "tsc -p tsconfig.json && " + _COPY_ASSETS.format(dirs=assets),
                    "typecheck": "tsc --noEmit -p tsconfig.json"},
        "n8n": n8n,
        "devDependencies": {"n8n-workflow": N8N_WORKFLOW_VERSION, "typescript": TYPESCRIPT_VERSION},
        "peerDependencies": {"n8n-workflow": "*"},
    }, indent=2) + "\n"
    files["tsconfig.json"] = json.dumps({"compilerOptions": {
        **STRICTEST, "target": "es2022", "module": "commonjs", "moduleResolution": "node",
        "lib": ["es2022"], "types": [], "outDir": "dist", "rootDir": ".", "declaration": True,
        "esModuleInterop": True, "skipLibCheck": True,
    }, "include": ["nodes/**/*.ts", "credentials/**/*.ts"]}, indent=2) + "\n"
    ops = "\n".join(f"- `{o.value}` ({g.display_name}): {o.description}" for g in groups for o in g.operations)
    files["README.md"] = (
        f"# {pkg.name}\n\nn8n community nodes generated by toolorch from the Lean 4 spec `{source}`.\n"
        f"Each operation is a `POST <base URL>/<operation>` with the parameters as a JSON body.\n\n"
        f"Build: `npm install && npm run build`, then install the package in n8n.\n\n## Operations\n\n{ops}\n")
    return pkg
