import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'test-artifacts/**', 'bench/results/**', '**/vendor/**', 'dist/**', 'build/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  {
    files: ['scripts/**', 'bench/**', 'devices/**/cli.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    // CommonJS on purpose: scripts/lib/quiet-debug.cjs stands in for a CommonJS package that others require().
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  ...boundaries(),
)

/**
 * Import boundaries (docs/architecture.md, "Who may import what"). Each
 * program imports only protocol/ and common/; code two programs need moves to
 * common/. protocol/ imports nothing of ours, common/ only protocol/. Only
 * tests import tests/; the harness (testkit/) and benchmarks (bench/) are
 * never imported by what ships. Each file falls in exactly one block below,
 * since a later block's no-restricted-imports replaces an earlier one's.
 */
function boundaries() {
  const up = '^(\\.\\./)+'
  const no = (folder, why, except = '') => ({ regex: `${up}${folder}/${except}`, message: `${folder}/ ${why}` })
  const program = 'is another program: move what both need to common/ (docs/architecture.md)'
  const harness = 'is test and benchmark harness, not shipped code'
  const notShipped = [no('tests', 'is imported only by tests'), no('testkit', harness), no('bench', harness), no('scripts', harness)]
  const rule = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] })
  return [
    { files: ['protocol/**'], rules: rule(no('common', 'is not part of the protocol: protocol/ stands alone'), no('edge', program), no('hub', program), no('devices', program), ...notShipped) },
    { files: ['common/**'], rules: rule(no('edge', program), no('hub', program), no('devices', program), ...notShipped) },
    { files: ['edge/**'], rules: rule(no('hub', program), no('devices', program), ...notShipped) },
    { files: ['hub/**'], rules: rule(no('edge', program), no('devices', program), ...notShipped) },
    {
      files: ['devices/**'],
      // The simulator CLI reads the devices of an edge config file (--config edge.yaml), so it validates that file with the edge's schema.
      rules: rule(no('edge', program, '(?!config/schema\\.js$)'), no('hub', program), ...notShipped),
    },
    { files: ['testkit/**'], rules: rule(no('tests', 'is imported only by tests'), no('bench', 'imports testkit/, not the other way round')) },
    { files: ['scripts/**', 'bench/**'], rules: rule(no('tests', 'is imported only by tests: shared harness lives in testkit/')) },
  ]
}
