// Style sheets imported by dependencies mean nothing in jsdom.
module.exports = {};
