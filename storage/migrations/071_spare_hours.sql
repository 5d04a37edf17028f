-- home care capacity in hours: a branch's spare hours a week
-- Home care is bought by the hour: a branch may say how many hours a week
-- of new care it can take on (in minutes) instead of a count of packages.
-- NULL keeps the row's meaning as before: vacancies counts places.
-- Accepting a package takes its hours with a conditional UPDATE (never
-- below zero, the CHECK the backstop), as a bed takes a vacancy.
ALTER TABLE vacancies ADD COLUMN spare_minutes INTEGER CHECK (spare_minutes IS NULL OR spare_minutes >= 0);
