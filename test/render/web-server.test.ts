import { PORTS } from '../../src/ports';
import { renderWebServer } from '../../src/render/web-server';
import { specWith } from './fixtures';

/** Structure of the two nginx server blocks; test/integration/web-server.test.ts runs them in real nginx. */
describe('web server blocks', () => {
  const files = Object.fromEntries(renderWebServer(specWith()).map((f) => [f.path, f.content]));
  const element = files['element-web/nginx.conf'];
  const wellKnown = files['well-known/nginx.conf'];

  test('one server block per static site, listening on the port its Service targets', () => {
    expect(Object.keys(files).sort()).toEqual(['element-web/nginx.conf', 'well-known/nginx.conf']);
    expect(element).toContain(`listen ${PORTS.elementWeb};`);
    expect(wellKnown).toContain(`listen ${PORTS.wellKnown};`);
  });

  test('Element Web: every location sends the headers Element asks for', () => {
    const locations = element.split('location ').slice(1).filter((block) => !block.startsWith('= /healthz'));
    expect(locations).toHaveLength(2);
    for (const block of locations) {
      expect(block).toContain('X-Frame-Options SAMEORIGIN always');
      expect(block).toContain('X-Content-Type-Options nosniff always');
      expect(block).toContain('X-XSS-Protection "1; mode=block" always');
      expect(block).toContain("Content-Security-Policy \"frame-ancestors 'self'\" always");
    }
  });

  test('HSTS on the Element host only: server_name may be the organisation\'s main domain', () => {
    expect(element).toContain('Strict-Transport-Security');
    expect(wellKnown).not.toContain('Strict-Transport-Security');
  });

  test('no server version in responses', () => {
    for (const conf of [element, wellKnown]) expect(conf).toContain('server_tokens off;');
  });

  test('each block is named after the host the ingress routes to it', () => {
    expect(element).toContain('server_name chat.ministry.example.eu;');
    expect(wellKnown).toContain('server_name ministry.example.eu;');
  });
});
