-- Nothing reads cases by (county, updated_at): the Open311 updates feed reads the timeline.
-- One index less for every new case to maintain.
DROP INDEX cases_updated;
