// Validates an OpenAPI 3 document against the OpenAPI schema (and its $refs) with
// @apidevtools/swagger-parser. Usage: node tools/validate_openapi.js FILE
// Exit 0 when valid; 1 with the validator's message otherwise.
const SwaggerParser = require("@apidevtools/swagger-parser");

const file = process.argv[2];
if (!file) {
  console.error("usage: node validate_openapi.js FILE");
  process.exit(2);
}
SwaggerParser.validate(file)
  .then((api) => {
    const paths = Object.keys(api.paths || {}).length;
    console.log(`valid OpenAPI ${api.openapi}: ${api.info.title} ${api.info.version}, ${paths} paths`);
  })
  .catch((err) => {
    console.error(`invalid OpenAPI document: ${err.message}`);
    process.exit(1);
  });
