-- Create "server_secrets" table
CREATE TABLE `server_secrets` (`name` varchar NOT NULL, `value` text NOT NULL, `created_at` datetime NOT NULL, PRIMARY KEY (`name`));
