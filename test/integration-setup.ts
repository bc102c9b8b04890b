// Real servers: restarts and scrapes take seconds, not milliseconds.
jest.setTimeout(120000);
