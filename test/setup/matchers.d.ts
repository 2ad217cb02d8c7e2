// Registers aws-sdk-client-mock-jest's matcher types (jest loads the matchers in setupFilesAfterEnv).
import 'aws-sdk-client-mock-jest';
