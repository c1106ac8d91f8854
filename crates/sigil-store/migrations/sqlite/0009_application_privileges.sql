-- Elasticsearch application privileges (/_security/privilege), by application and name.
CREATE TABLE application_privileges (
    application TEXT NOT NULL,
    name TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (application, name)
);
