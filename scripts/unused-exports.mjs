#!/usr/bin/env node
// Lists exports of main/, preload/ and renderer/ that no other file imports (tests and scripts
// count as importers), including barrel re-exports nobody imports through the barrel. Run by
// `npm run lint`; exits 1 when it finds any. Uses the TypeScript compiler already in the tree:
// `export *` chains are followed, and an import through a barrel counts for the barrel and for the
// file the name comes from. Exempt: the entry points below, whose exports other programs load.
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Loaded by something outside the TypeScript programs (bin/tunnelgate.mjs, Electron, the build). */
const ENTRY_POINTS = new Set([
  'main/cli.ts',
  'main/app/main.ts',
  'preload/index.ts',
  'renderer/src/main.tsx',
  'renderer/vite.config.ts',
]);
const CHECKED = /^(main|preload|renderer)\//;

const rel = (f) => relative(root, f).split('\\').join('/');
const used = new Set(); // `${file}#${name}`
const wholeModule = new Set(); // files imported as a namespace or dynamically
const exported = new Map(); // file -> Set of names declared or explicitly re-exported there
const starEdges = new Map(); // barrel file -> files it `export *`s
const typeOnly = new Set(); // `${file}#${name}` of exported types (not reported)

function program(configName) {
  const cfgPath = resolve(root, configName);
  const cfg = ts.getParsedCommandLineOfConfigFile(
    cfgPath,
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic() {} },
  );
  return ts.createProgram(cfg.fileNames, cfg.options);
}

function scan(prog) {
  const checker = prog.getTypeChecker();
  const resolveFile = (from, spec) => {
    const sym = checker.getSymbolAtLocation(spec);
    const decl = sym?.declarations?.find(ts.isSourceFile);
    if (decl) return rel(decl.fileName);
    const r = ts.resolveModuleName(spec.text, from.fileName, prog.getCompilerOptions(), ts.sys);
    return r.resolvedModule ? rel(r.resolvedModule.resolvedFileName) : undefined;
  };
  for (const sf of prog.getSourceFiles()) {
    if (sf.isDeclarationFile || sf.fileName.includes('node_modules')) continue;
    const file = rel(sf.fileName);
    const own = exported.get(file) ?? new Set();
    exported.set(file, own);
    const moduleSym = checker.getSymbolAtLocation(sf);
    for (const sym of moduleSym ? checker.getExportsOfModule(moduleSym) : []) {
      const decl = sym.declarations?.[0];
      if (!decl || rel(decl.getSourceFile().fileName) !== file) continue;
      const name = sym.escapedName.toString();
      // Re-exports (a barrel's lines) and values count; a type stays exportable for the signatures
      // of the functions beside it (a factory's Deps), as the convention writes them.
      const reexport = ts.isExportSpecifier(decl) && !!decl.parent.parent.moduleSpecifier;
      const target = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
      if (reexport || target.flags & ts.SymbolFlags.Value) own.add(name);
      else typeOnly.add(`${file}#${name}`);
    }
    const visit = (node) => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
        const target = resolveFile(sf, node.moduleSpecifier);
        const clause = node.importClause;
        if (target && clause) {
          if (clause.name) used.add(`${target}#default`);
          const b = clause.namedBindings;
          if (b && ts.isNamespaceImport(b)) wholeModule.add(target);
          else if (b) for (const el of b.elements) used.add(`${target}#${(el.propertyName ?? el.name).text}`);
        }
      } else if (
        ts.isExportDeclaration(node) &&
        node.moduleSpecifier &&
        ts.isStringLiteral(node.moduleSpecifier)
      ) {
        const target = resolveFile(sf, node.moduleSpecifier);
        if (target) {
          const c = node.exportClause;
          if (!c) starEdges.set(file, [...(starEdges.get(file) ?? []), target]);
          else if (ts.isNamespaceExport(c)) wholeModule.add(target);
          else for (const el of c.elements) used.add(`${target}#${(el.propertyName ?? el.name).text}`);
        }
      } else if (
        ts.isCallExpression(node) &&
        node.expression.kind === ts.SyntaxKind.ImportKeyword &&
        node.arguments[0] &&
        ts.isStringLiteral(node.arguments[0])
      ) {
        const target = resolveFile(sf, node.arguments[0]);
        if (target) wholeModule.add(target);
      } else if (
        ts.isImportTypeNode(node) &&
        ts.isLiteralTypeNode(node.argument) &&
        ts.isStringLiteral(node.argument.literal)
      ) {
        const target = resolveFile(sf, node.argument.literal);
        if (target) {
          if (node.qualifier)
            used.add(
              `${target}#${ts.isIdentifier(node.qualifier) ? node.qualifier.text : node.qualifier.left.getText()}`,
            );
          else wholeModule.add(target);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
}

scan(program('tsconfig.node.json'));
scan(program('tsconfig.renderer.json'));

// A name used through a barrel is used in the file its `export *` takes it from.
for (let changed = true; changed;) {
  changed = false;
  for (const [barrel, targets] of starEdges) {
    for (const key of [...used]) {
      const [file, name] = key.split('#');
      if (file !== barrel && !wholeModule.has(barrel)) continue;
      for (const t of targets) {
        const k = `${t}#${name}`;
        const names = exported.get(t);
        if ((names?.has(name) || typeOnly.has(k)) && !used.has(k)) {
          used.add(k);
          changed = true;
        }
      }
    }
    if (!wholeModule.has(barrel)) continue;
    for (const t of targets) {
      if (wholeModule.has(t)) continue;
      wholeModule.add(t);
      changed = true;
    }
  }
}

const unused = [];
for (const [file, names] of exported) {
  if (!CHECKED.test(file) || ENTRY_POINTS.has(file) || wholeModule.has(file)) continue;
  for (const name of names) if (!used.has(`${file}#${name}`)) unused.push(`${file}: ${name}`);
}
unused.sort();
if (unused.length) {
  console.error(`${unused.length} export(s) nothing imports (drop the export, or the code):`);
  for (const u of unused) console.error(`  ${u}`);
  process.exit(1);
}
console.log('unused-exports: every export of main/, preload/ and renderer/ is imported somewhere.');
