import { specOf, VALID_YAML } from 'test/helpers';
import { renderCoturn } from 'src/render/coturn';
process.stdout.write(renderCoturn(specOf(VALID_YAML))[0].content);
